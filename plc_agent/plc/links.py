"""The link the settings name: Modbus TCP or Omron FINS (UDP or TCP)."""

from __future__ import annotations

from typing import Any

from .link import PlcLinkBase
from .register_map import RegisterMap


def make_link(settings: Any, register_map: RegisterMap, **options: Any) -> PlcLinkBase:
    """The PLC link of `settings` (``plc_protocol`` and its settings); ``options`` go to the
    link (``reconnect_backoff_initial``, ``metrics``, ...)."""
    options.setdefault("timeout", settings.plc_timeout_seconds)
    options.setdefault("reconnect_backoff_max", settings.plc_reconnect_backoff_max_seconds)
    if settings.plc_protocol == "fins":
        from .fins.frames import FinsAddress
        from .fins_link import FinsLink

        return FinsLink(
            settings.plc_host, settings.plc_port, register_map,
            transport=settings.plc_fins_transport,
            destination=FinsAddress(settings.plc_fins_dest_network, settings.plc_fins_dest_node,
                                    settings.plc_fins_dest_unit),
            source=FinsAddress(settings.plc_fins_source_network, settings.plc_fins_source_node,
                               settings.plc_fins_source_unit),
            retries=settings.plc_fins_retries, udp_local_port=settings.plc_fins_udp_local_port,
            **options,
        )
    if settings.plc_protocol != "modbus":
        raise ValueError(f"unknown PLC protocol {settings.plc_protocol!r}: modbus or fins")
    from .link import PlcLink

    return PlcLink(settings.plc_host, settings.plc_port, settings.plc_unit_id, register_map, **options)
