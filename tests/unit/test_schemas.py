import pytest
from pydantic import ValidationError

from medialens.schemas import ImageBatchRequest, ImageItem, ImageResult, dump


def test_batch_request_needs_at_least_one_image():
    with pytest.raises(ValidationError):
        ImageBatchRequest.model_validate({"images": []})
    with pytest.raises(ValidationError):
        ImageBatchRequest.model_validate({"images": [{"external_id": "a"}]})
    with pytest.raises(ValidationError):  # unknown fields are refused, not ignored
        ImageBatchRequest.model_validate({"images": [{"external_id": "a", "data_base64": "x", "b": 1}]})


def test_request_with_webhook_parses():
    req = ImageBatchRequest.model_validate(
        {"images": [{"external_id": "abc", "data_base64": "AAAA"}],
         "webhook": {"url": "https://example.org/h", "secret": "s"}})
    assert req.webhook.secret == "s" and req.images[0].external_id == "abc"


def test_result_lists_are_present_and_unset_fields_are_left_out():
    result = ImageResult.model_validate(
        {"moderation": {"category": "safe", "scores": {"safe": 0.9, "suggestive": 0.05, "explicit": 0.05}}})
    body = dump(ImageItem(external_id="a", status="finished", result=result))
    assert body["result"]["tags"] == [] and body["result"]["person_ids"] == []
    assert body["result"]["ocr_results"] == []
    assert "error" not in body
