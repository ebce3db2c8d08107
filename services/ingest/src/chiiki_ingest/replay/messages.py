"""The RESULT.STATUS values and ERROR_MSG texts the replay server answers with.

Verified against recorded or quoted real e-Stat answers: 0, 1 and 100 (texts and numbers). The text
for an unknown statsDataId is the one quoted from real answers in public projects; its STATUS number
and the parameter-error texts and numbers are not documented anywhere we could read, so they are our
choice inside e-Stat's ranges (100-199 request errors) and listed in docs/estat-replay.md.
"""

from __future__ import annotations

OK = 0
NO_DATA = 1
AUTH_FAILED = 100
UNKNOWN_ID = 101
BAD_PARAMETER = 102
MISSING_PARAMETER = 103

OK_MESSAGE = "正常に終了しました。"
NO_DATA_MESSAGE = "正常に終了しましたが、該当データはありませんでした。"
AUTH_FAILED_MESSAGE = "認証に失敗しました。アプリケーションIDを確認して下さい。"


def unknown_id_message(stats_data_id: str) -> str:
    return f"statsDataId=[{stats_data_id}]のデータは存在しません。"


def bad_parameter_message(name: str) -> str:
    return f"パラメータ「{name}」の値が正しくありません。"


def missing_parameter_message(name: str) -> str:
    return f"必須パラメータ「{name}」が指定されていません。"
