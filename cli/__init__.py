"""The ``polyx`` command line: thin click commands over the library."""
