import pytest

from app.domain.lke import Framework, load_framework
from app.frameworks import default_framework_path


@pytest.fixture(scope="session")
def fw() -> Framework:
    """The bundled LKE ZI 2021 framework (project file, app/frameworks)."""
    return load_framework(default_framework_path())
