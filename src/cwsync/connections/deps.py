"""FastAPI dependencies for ConnectWise access: the process's factory, made on first use."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cwsync.api.deps import get_http, get_settings_dep
from cwsync.connections.factory import ConnectWiseFactory


def get_connectwise_factory(request: Request) -> ConnectWiseFactory:
    """One factory per app (hence one set of ConnectWise limits per API process).

    Made lazily rather than in the lifespan so it is built inside the running loop; there
    is no await between the check and the assignment, so concurrent requests share one.
    """
    factory: ConnectWiseFactory | None = getattr(request.app.state, "connectwise", None)
    if factory is None:
        factory = ConnectWiseFactory(get_http(request), get_settings_dep(request))
        request.app.state.connectwise = factory
    return factory


FactoryDep = Annotated[ConnectWiseFactory, Depends(get_connectwise_factory)]
