"""What works with no emulator running: reading job and resource files, reading a ``gcloud ai
custom-jobs create`` command line as gcloud reads it, and the admission verdict on a described
resource. The CLI's ``check`` and ``submit`` use these, and so does the client (``submit_job``
reads spec files here): the arrow points from the client to the emulator, never back."""
