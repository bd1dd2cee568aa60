"""Fault injection: make ConnectWise slow or unkind, deterministically.

A fault has a target (tenant, methods, path regex), a trigger (skip the first ``after``
matches, fire at most ``count`` times, only every Nth match, only given positions within a
clock window, or with a probability drawn from the state's seeded RNG) and a kind:

- ``latency``   add ``ms`` before answering (stacks with other faults)
- ``throttle``  429, ``Retry-After: retry_after`` when set; ``body`` error_json|json|html|text|empty
- ``error``     ``status`` (500 default); ``body`` transient|permanent|html|json (by status)
- ``timeout``   hang ``seconds`` (None: until the client gives up), then answer normally
- ``reset``     drop the connection; ``mode`` reset (RST) | close (FIN) | truncate (headers only)
- ``redirect``  302 (or ``status``) to ``location``, by default the same URL over ``http://``
- ``down``      503 HTML for every matching request (use with ``tenant``)
- ``deny``      403 Security, as if the role lacked the permission
- ``noop``      a write answers success but changes nothing
- ``codebase``  move the tenant to ``codebase`` (companyinfo follows; the old one 404s)

``process_first`` (answering kinds) applies the request to the state before the fault's
answer replaces the real one: a POST that created its record and then timed out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cwsync.simulator.state import SimulatorState

ANSWERING_KINDS = frozenset(
    {"throttle", "error", "timeout", "reset", "redirect", "down", "deny", "noop"}
)
FAULT_KINDS = ANSWERING_KINDS | {"latency", "codebase"}
RESET_MODES = ("reset", "close", "truncate")
_BOOKKEEPING = frozenset({"id", "seen", "fired", "window_index", "window_seen"})


@dataclass
class Fault:
    kind: str
    tenant: str | None = None
    methods: list[str] | None = None
    path: str | None = None
    after: int = 0
    count: int | None = None
    every: int | None = None
    window_seconds: float | None = None
    positions: list[int] | None = None
    probability: float | None = None
    ms: int = 0
    status: int | None = None
    retry_after: int | None = None
    body: str | None = None
    message: str | None = None
    seconds: float | None = None
    mode: str = "reset"
    location: str | None = None
    codebase: str | None = None
    process_first: bool = False
    id: int = 0
    seen: int = 0
    fired: int = 0
    window_index: int | None = None
    window_seen: int = 0
    _path_re: re.Pattern[str] | None = field(default=None, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        names = {f.name for f in fields(cls)} - _BOOKKEEPING - {"_path_re"}
        # A dumped state carries counters; a reloaded fault starts counting afresh.
        data = {key: value for key, value in data.items() if key not in _BOOKKEEPING}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        fault = cls(**data)
        fault.validate()
        return fault

    def validate(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(sorted(FAULT_KINDS))}")
        if self.mode not in RESET_MODES:
            raise ValueError(f"reset mode must be one of {', '.join(RESET_MODES)}")
        if self.kind == "codebase" and not (self.codebase and self.codebase.endswith("/")):
            raise ValueError("a codebase fault needs codebase like 'v2025_2/'")
        if self.kind == "codebase" and self.count is None:
            self.count = 1
        if (self.window_seconds is None) != (self.positions is None):
            raise ValueError("window_seconds and positions go together")
        if self.every is not None and self.every < 1:
            raise ValueError("every must be at least 1")
        if self.methods is not None:
            self.methods = [method.upper() for method in self.methods]
        if self.tenant is not None:
            self.tenant = self.tenant.lower()
        self._path_re = re.compile(self.path) if self.path else None

    def targets(self, tenant: str | None, method: str, path: str) -> bool:
        if self.tenant is not None and self.tenant != tenant:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self._path_re is None or self._path_re.search(path) is not None

    def triggers(self, state: SimulatorState) -> bool:
        """Called once per targeted request, after ``seen`` has counted it."""
        position = self.seen - self.after
        if position <= 0:
            return False
        if self.count is not None and self.fired >= self.count:
            return False
        if self.every is not None and position % self.every != 0:
            return False
        if self.window_seconds is not None and self.positions is not None:
            index = math.floor(state.monotonic() / self.window_seconds)
            if index != self.window_index:
                self.window_index, self.window_seen = index, 0
            self.window_seen += 1
            if self.window_seen not in self.positions:
                return False
        return self.probability is None or state.rng.random() < self.probability

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_path_re"}


@dataclass
class FaultDecision:
    latency_ms: int = 0
    answer: Fault | None = None
    codebase_changed: bool = False


class FaultBook:
    """The active faults, evaluated in the order they were added."""

    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self.faults: list[Fault] = []
        self._next_id = 0

    def add(self, fault: Fault) -> Fault:
        fault.validate()
        self._next_id += 1
        fault.id = self._next_id
        self.faults.append(fault)
        return fault

    def add_json(self, data: dict[str, Any]) -> Fault:
        return self.add(Fault.from_json(data))

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [fault for fault in self.faults if fault.id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults.clear()

    def evaluate(self, tenant: str | None, method: str, path: str) -> FaultDecision:
        decision = FaultDecision()
        for fault in self.faults:
            if not fault.targets(tenant, method, path):
                continue
            fault.seen += 1
            if not fault.triggers(self._state):
                continue
            if fault.kind == "latency":
                fault.fired += 1
                decision.latency_ms += fault.ms
            elif fault.kind == "codebase":
                fault.fired += 1
                decision.codebase_changed = self._move_codebase(fault, tenant)
            elif decision.answer is None:
                fault.fired += 1
                decision.answer = fault
        return decision

    def _move_codebase(self, fault: Fault, tenant_key: str | None) -> bool:
        tenant = self._state.tenants.get(fault.tenant or tenant_key or "")
        if tenant is None or fault.codebase is None:
            return False
        tenant.codebase = fault.codebase
        return True

    def to_json(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self.faults]
