"""The course's test set-up: the two plugins, sample data, the real data."""
from pathlib import Path

import pytest
from hypothesis import settings

from failurelab import sampledata
from failurelab.sampledata import FULL_DATA

pytest_plugins = ["failurelab.grading", "failurelab.studentmode", "failurelab.plugin", "failurelab.database"]

# No example database: a run leaves nothing behind in the working tree.
settings.register_profile("lab", database=None, deadline=None)
settings.load_profile("lab")



@pytest.fixture(scope="session")
def sample_frame():
    """2,000 generated rows with every quirk of the real data (same rows every run)."""
    return sampledata.generate(2000)


@pytest.fixture
def sample_csv(tmp_path, sample_frame) -> Path:
    """The sample as a CSV in the shape of ../shared/data (UTF-8, ISO dates)."""
    return sampledata.write_csv(sample_frame, tmp_path / "online_retail.csv")


@pytest.fixture
def sample_xlsx(tmp_path, sample_frame) -> Path:
    """The sample as the original UCI .xlsx (sheet "Online Retail")."""
    return sampledata.write_xlsx(sample_frame, tmp_path / "online_retail.xlsx")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The full real dataset (541,909 rows), where ../shared/data has it."""
    if not FULL_DATA.exists():
        pytest.skip(f"real data not found at {FULL_DATA} (set RETAIL_DATA_DIR to its folder)")
    return FULL_DATA
