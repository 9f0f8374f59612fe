import pytest
import yaml

from app.domain.lke import Framework, load_framework
from app.frameworks import default_framework_path


@pytest.fixture(scope="session")
def fw() -> Framework:
    """The bundled LKE ZI 2021 framework (project file, app/frameworks)."""
    with open(default_framework_path(), encoding="utf-8") as fh:
        return load_framework(yaml.safe_load(fh))
