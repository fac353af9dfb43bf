"""The API versions the emulator serves, ``/v1`` and ``/v1beta1``.

A record remembers the version that created it (its stored form is that version's JSON), the
route table serves both, a snapshot checks the version of each record it reads, and the HTTP layer
converts a record to the version a request asks for. Kept apart from ``wire`` so that reading a
snapshot needs no official types.
"""

VERSIONS = ("v1", "v1beta1")
