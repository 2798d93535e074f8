"""Awards and long-service records the coordinator records: the source of ``recognition``.

The purpose vocabulary has always offered the ``recognition`` category (``esp.recognition``), but
nothing recorded it, so a volunteer could consent to sharing data that did not exist. Awards give
it a source: the coordinator records each one with its date, the volunteer sees their own, and an
employer receives them only through the gate, under a purpose and consent naming the category.
"""
