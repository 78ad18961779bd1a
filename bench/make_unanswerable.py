"""Write news-quiz questions the development corpus cannot answer, for refusal metrics.

Takes RealTime QA questions from other weeks (shared/corpora/realtimeqa-2022/qa.jsonl)
whose answer strings occur nowhere in the development corpus, so no passage can answer
them; they stay on-domain (2022 news quizzes), which is what makes refusal hard.
"""

import json
import sys
from pathlib import Path

shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared")
out = Path(sys.argv[2] if len(sys.argv) > 2 else "eval/realtimeqa-dev-unanswerable.jsonl")


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


corpus = " ".join(
    (json.loads(line)["title"] + " " + json.loads(line)["text"]).lower()
    for line in lines(shared / "eval/realtimeqa-2022-dev/corpus.jsonl")
)
dev_questions = {
    json.loads(x)["question"] for x in lines(shared / "eval/realtimeqa-2022-dev/qa.jsonl")
}
rows = []
for line in lines(shared / "corpora/realtimeqa-2022/qa.jsonl"):
    qa = json.loads(line)
    if qa["question"] in dev_questions or any(a.lower() in corpus for a in qa["answers"]):
        continue
    rows.append(
        {
            "question": qa["question"],
            "no_answer": True,
            "date": qa["date"],  # asked that day: the engine's "as of", as for answerable ones
            "source_answers": qa["answers"],
        }
    )
rows = rows[:: max(1, len(rows) // 100)][:100]
out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
print(f"wrote {len(rows)} questions to {out}")
