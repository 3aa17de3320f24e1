"""The embedded runtime behind `medialens serve`: template.yaml provisioned into moto,
the real ASL executed by moto's interpreter, Lambda handlers run in-process, and the
template's API routes served over HTTP. Nothing here restates the workflow or resources."""
