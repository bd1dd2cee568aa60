"""Every table of DESIGN.md §3, one file each; imported here so metadata is complete."""

from cwsync.models.base import Base
from cwsync.models.client import Client
from cwsync.models.connection import Connection
from cwsync.models.mapping import Mapping
from cwsync.models.partner import Partner
from cwsync.models.partner_token import PartnerToken
from cwsync.models.pro_rata_charge import ProRataCharge
from cwsync.models.product import Product
from cwsync.models.sync_item import SyncItem
from cwsync.models.sync_run import SyncRun
from cwsync.models.user_count import UserCount

__all__ = [
    "Base",
    "Client",
    "Connection",
    "Mapping",
    "Partner",
    "PartnerToken",
    "ProRataCharge",
    "Product",
    "SyncItem",
    "SyncRun",
    "UserCount",
]
