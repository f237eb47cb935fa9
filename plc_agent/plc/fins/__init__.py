"""Omron FINS, written here: no maintained FINS library with a fitting licence speaks
FINS/TCP with its handshake and matches service ids (docs/architecture.md says more).

* :mod:`.frames` -- the FINS header, memory area read (01 01) and write (01 02) of DM
  words, responses, the words-per-request limits;
* :mod:`.end_codes` -- end codes and their meanings;
* :mod:`.tcp` -- FINS/TCP framing and the node-address handshake;
* :mod:`.transport` -- one UDP socket or TCP connection that exchanges frames with the PLC.
"""
