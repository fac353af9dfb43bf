"""Local execution of a job's replicas (``--execution local``) and their logs.

Each replica of an admitted job runs as a process of this machine, with the environment Vertex AI
gives a training container (``environment``), the command its worker pool names (``launch``),
supervised so that none outlives its job or the emulator (``processes``); what the processes print
becomes Cloud Logging entries (``logs``), served by ``POST /v2/entries:list`` (``logfilter``).
"""
