"""A partner's ConnectWise connection: the site check (SSRF), verification before saving,
the encrypted private key and its rotation, live diagnostics, the picked product, and
``ConnectWiseFactory`` — the one place a stored connection becomes a ConnectWise client.

``cwsync.connections.factory`` and ``cwsync.connections.site`` import no FastAPI, so the
sync engine and the scheduler can use them.
"""
