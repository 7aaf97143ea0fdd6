"""The documents of a dispute (文书) and its case file (卷宗), generated from the record as .docx.

One module per document family; `forms.py` is the shared A4 form builder; `service.py` is the one
entry point the doors call (docs/documents.md).
"""
