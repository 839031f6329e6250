#!/bin/sh
# A stand-in for an agent CLI, driven by the reference harness in tests.
# The brief arrives on stdin; its `mode:` line says how to behave.
#   quick        change a file, print a summary, exit 0
#   interactive  change a file, wait for an interrupt, then tick 40 times (0.2 s each) and exit 0
#   hang         tick forever (until cancelled)
#   hang-first   hang on attempt 1, quick on later attempts
#   ship         change a file, git commit, git push to origin (both may wait for approval)
#   leak         write a file holding a cloud key (a mandate must stop it), exit 0
#   ask          ask a person which colour to use, wait for the answer, print it, exit 0
#   context      print the headings of its context file ($SWITCHYARD_CONTEXT_FILE), change a file, exit 0
#   steps        three steps 2.5 s apart (each a diff checkpoint), run the "tests", ask an open question, exit 0
#   resume       check that the worktree holds step 2 of `steps` (a restored snapshot), exit 0
set -u
brief=$(cat)
mode=$(printf '%s\n' "$brief" | sed -n 's/^mode: *//p' | head -n 1)
echo "agent: attempt ${SWITCHYARD_ATTEMPT:-?} mode ${mode}"
if [ "$mode" = "hang-first" ]; then
  if [ "${SWITCHYARD_ATTEMPT:-1}" = "1" ]; then mode=hang; else mode=quick; fi
fi
mkdir -p src
case "$mode" in
  quick)
    echo "quick change" >> src/feature.txt
    echo "agent: done quickly"
    ;;
  interactive)
    echo "interactive change" >> src/feature.txt
    echo "agent: waiting for an interrupt"
    n=0
    while ! grep -q . "$SWITCHYARD_INTERRUPTS_FILE" 2>/dev/null; do
      sleep 0.1
      n=$((n + 1))
      if [ "$n" -gt 600 ]; then echo "agent: no interrupt came" >&2; exit 3; fi
    done
    echo "agent: got interrupt $(head -n 1 "$SWITCHYARD_INTERRUPTS_FILE")"
    i=0
    while [ "$i" -lt 40 ]; do
      i=$((i + 1))
      echo "tick $i"
      sleep 0.2
    done
    echo "agent: finished after the interrupt"
    ;;
  ship)
    echo "shipped change" >> src/feature.txt
    git add src/feature.txt
    if git -c user.name=agent -c user.email=agent@example.com commit -q -m "Add the feature"; then
      echo "agent: committed"
    else
      echo "agent: commit refused"
      exit 4
    fi
    if git push -q origin "HEAD:refs/heads/agent/$SWITCHYARD_LANE_ID"; then
      echo "agent: pushed"
    else
      echo "agent: push refused"
    fi
    ;;
  leak)
    printf 'region = "eu-west-1"\naws_key = "AKIAABCDEFGHIJKLMNOP"\n' > src/settings.toml
    echo "agent: wrote the settings"
    ;;
  ask)
    "$SWITCHYARD_HARNESS" gate question "$SWITCHYARD_GATE_SOCKET" "Which colour should the button be?" red blue || exit 5
    echo "agent: asked"
    n=0
    while ! grep -q '"kind":"answer"' "$SWITCHYARD_INTERRUPTS_FILE" 2>/dev/null; do
      sleep 0.1
      n=$((n + 1))
      if [ "$n" -gt 600 ]; then echo "agent: no answer came" >&2; exit 3; fi
    done
    answer=$(grep '"kind":"answer"' "$SWITCHYARD_INTERRUPTS_FILE" | head -n 1 | sed 's/.*"message":"\([^"]*\)".*/\1/')
    echo "agent: the answer is $answer"
    ;;
  context)
    sed -n 's/^## /context: /p' "$SWITCHYARD_CONTEXT_FILE"
    echo "context change" >> src/feature.txt
    echo "agent: read the context"
    ;;
  steps)
    printf 'pub fn parse() {}\n' > src/parser.rs
    echo "step 1: parser"
    sleep 2.5
    printf 'pub fn parse() -> u32 {\n    1\n}\n' > src/parser.rs
    printf 'pub fn lex() {}\n' > src/lexer.rs
    echo "step 2: lexer"
    sleep 2.5
    rm src/lib.rs
    mkdir -p docs && echo "notes" > docs/NOTES.md
    echo "step 3: cleanup"
    sleep 2.5
    echo "test result: ok. 3 passed; 0 failed"
    echo "Open question: should the old parser stay for one release?"
    echo "agent: three steps done"
    ;;
  resume)
    if [ -f src/lexer.rs ] && grep -q "1" src/parser.rs && [ -f src/lib.rs ]; then
      echo "agent: resumed from step 2"
      echo "resumed" >> src/lexer.rs
    else
      echo "agent: the worktree is not step 2" >&2
      exit 6
    fi
    ;;
  hang)
    while true; do echo "still working"; sleep 0.2; done
    ;;
  *)
    echo "agent: unknown mode '$mode'" >&2
    exit 2
    ;;
esac
