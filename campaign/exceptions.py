class ObjectionLimitReached(Exception):
    """This client has pressed "I objected" too often in the current window."""
