"""The service's machinery, one capability per module; ``vertex_emulator.service.Service`` composes them.

- ``kinds``: the registry of record kinds (collection, record class, timed step, owner handler);
- ``records``: the records of each project and location, for every kind;
- ``timeline``: the due transitions, in order;
- ``hooks``: the execution hook a local runner replaces;
- ``base``: the state every capability shares and the ``api`` decorator of public calls;
- ``resource_calls``, ``job_calls``, ``operation_calls``, ``control_calls``: the calls themselves.
"""
