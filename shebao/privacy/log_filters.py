"""A logging filter that masks 身份证号 in every record (settings.LOGGING attaches it to the
handlers). Request paths can carry one (/registry/persons/<身份证号>/), and so can an exception's
message."""

from __future__ import annotations

import logging

from .masking import ID_NUMBER_RE, mask_id_numbers_in


class MaskIdNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ID_NUMBER_RE.search(message):
            record.msg = mask_id_numbers_in(message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = mask_id_numbers_in(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask_id_numbers_in(record.exc_text)
        return True
