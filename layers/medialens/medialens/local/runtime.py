"""`medialens serve`: moto in-process + the template's resources + in-process handlers + HTTP."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import urllib.request
from pathlib import Path

import boto3
from werkzeug.serving import make_server

from .. import aws
from ..settings import REPO_ROOT, get_settings
from .http import ApiFront
from .lambdas import InProcessLambdas, install_moto_patch
from .provision import Provisioner
from .template import REGION, Template

logger = logging.getLogger(__name__)
DEFAULT_TEMPLATE = REPO_ROOT / "template.yaml"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class LocalRuntime:
    """One local deployment of template.yaml. Environment variables are process-wide,
    so run one per process (the CLI does; tests share one per session)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 3000, *, template_path: Path = DEFAULT_TEMPLATE,
                 allow_private_urls: bool = False, settings_env: dict[str, str] | None = None,
                 api_keys: list[str] | None = None, state_dir: Path | None = None):
        self.host, self.port = host, port
        self.template = Template.load(template_path)
        self._allow_private_urls = allow_private_urls
        self._settings_env = settings_env or {}
        self._api_keys = list(api_keys or [])
        self._state_dir = Path(state_dir) if state_dir else None
        self._state = None
        self.resumed: dict[str, list[str]] = {}
        self._moto = None
        self._http = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self._moto_port}"

    def _moto_port_choice(self) -> int:
        """With a state directory, moto keeps its port across restarts when it can: presigned
        upload URLs handed out before the restart name it."""
        from .persist import remembered_port

        port = remembered_port(self._state_dir) if self._state_dir else None
        if port:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as moto's server does
                try:
                    sock.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    logger.warning("moto's previous port %s is taken; old upload URLs will not work", port)
        return free_port()

    def start(self) -> LocalRuntime:
        from moto.server import ThreadedMotoServer

        self._moto_port = self._moto_port_choice()
        os.environ.update({
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": self.moto_url,
            "MOTO_PORT": str(self._moto_port),  # moto's Step Functions interpreter calls Lambda here
        })
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per moto call otherwise
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self._moto_port, verbose=False)
        self._moto.start()
        request = urllib.request.Request(
            f"{self.moto_url}/moto-api/config", method="POST",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode())
        urllib.request.urlopen(request, timeout=10).close()

        lambdas = InProcessLambdas(self.template)
        install_moto_patch(lambdas)
        provisioner = Provisioner(self.template, boto3.session.Session())
        provisioner.provision()
        os.environ.update(provisioner.process_environment())
        os.environ.update(self._settings_env)
        os.environ["MEDIALENS_ALLOW_PRIVATE_URLS"] = "true" if self._allow_private_urls else "false"
        # No API Gateway here: the service checks the keys itself (medialens/tenancy.py).
        os.environ["MEDIALENS_REQUIRE_API_KEY"] = "false"
        os.environ["MEDIALENS_API_KEYS"] = ",".join(self._api_keys)
        get_settings.cache_clear()
        aws.reset()
        if self._state_dir:
            self._open_state()

        routes = self.template.api_routes()
        front = ApiFront(routes, lambdas, get_settings().max_body_bytes,
                         after_write=self._state.flush if self._state else None)
        self._http = make_server(self.host, self.port, front, threaded=True)
        self.port = self._http.server_port
        self._thread = threading.Thread(target=self._http.serve_forever, name="medialens-http", daemon=True)
        self._thread.start()
        self._stopping.clear()
        for logical_id, seconds in self.template.schedules():
            threading.Thread(target=self._every, args=(lambdas, logical_id, seconds),
                             name=f"medialens-schedule-{logical_id}", daemon=True).start()
        return self

    def _open_state(self) -> None:
        """Load the state directory into moto and set in-flight jobs moving again."""
        from .persist import StateDir, resume

        tables = [self.template.physical_name(t) for t in self.template.of_type("AWS::DynamoDB::Table")]
        self._state = StateDir(self._state_dir, boto3.session.Session(), tables, get_settings().bucket_name)
        self._state.remember_port(self._moto_port)
        restored = self._state.load()
        self.resumed = resume(aws.services())
        if restored["items"]:
            logger.warning("restored %s items and %s objects from %s; resumed %s", restored["items"],
                           restored["objects"], self._state_dir, {k: len(v) for k, v in self.resumed.items()})
        self._state.start()

    def _every(self, lambdas: InProcessLambdas, logical_id: str, seconds: float) -> None:
        """A Schedule event of the template (EventBridge on AWS), as a timer thread."""
        name = self.template.physical_name(logical_id)
        while not self._stopping.wait(seconds):
            lambdas.invoke(name, {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})

    def stop(self) -> None:
        self._stopping.set()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._state:
            self._state.stop()
            self._state = None
        if self._moto:
            self._moto.stop()
            self._moto = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
