"""Domain services: the rules of the grid, independent of any chat channel.

Nothing in this package imports ``telegram``: services take plain values, read and
write through the repositories in ``storage``, and raise the errors defined here
for the channel to put into words.
"""
