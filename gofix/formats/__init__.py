"""Game-record files: SGF (read and written without loss), GIB, NGF and UGF, the sources they come from
(files, folders, archives) and safe writing.

Layer: above rules; no torch.
"""
