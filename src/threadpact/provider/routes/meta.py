"""Unauthenticated routes: the spec file itself and a health probe."""

from fastapi import APIRouter
from starlette.responses import FileResponse, Response

from threadpact.names import HEALTH_PATH, SPEC_PATH
from threadpact.provider.deps import SettingsDep
from threadpact.provider.problems import ProblemError

router = APIRouter(include_in_schema=False)

HEALTH_BODY = b'{"status":"ok"}'


@router.get(SPEC_PATH)
async def spec(settings: SettingsDep) -> Response:
    """The openapi.yaml this provider implements, byte for byte."""
    if settings.spec_path is None or not settings.spec_path.is_file():
        raise ProblemError(404, "this provider was started without a spec file", slug="not-found")
    return FileResponse(settings.spec_path, media_type="application/yaml")


@router.get(HEALTH_PATH)
async def health() -> Response:
    """A constant JSON body: liveness, and the benchmarks' baseline endpoint."""
    return Response(HEALTH_BODY, media_type="application/json")
