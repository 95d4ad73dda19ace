import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """As in run_synthetic: extra BLAS threads make these thin products several times slower
    on a shared machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield
