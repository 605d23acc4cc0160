#!/usr/bin/env bash
# Creates the chat's topics, as kafka/topics.json defines them, on a Kafka cluster, then
# prints them as the cluster has them. Topics that already exist are left as they are.
#
# Uses Kafka's kafka-topics.sh when it can find it ($KAFKA_HOME/bin, then PATH); otherwise
# the chat binary's own `chat topics --create` ($CHAT_BINARY, then .build/release/chat,
# .build/debug/chat, then PATH). Run with --help for the options.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
me="create-topics.sh"

usage() {
    cat <<EOF
Usage: kafka/$me [--bootstrap HOST:PORT[,HOST:PORT...]] [--replication-factor N]
                        [--min-insync-replicas N] [--command-config FILE]
                        [--topics FILE] [--dry-run]

Creates every topic of the topic file with its partition count and configs (existing
topics are not changed), then describes them and checks their partition counts.

  --bootstrap HOST:PORT     brokers to talk to (default: \$CHAT_KAFKA or 127.0.0.1:9092)
  --replication-factor N    replicas per partition (default: 1; use 3 on a 3-broker cluster)
  --min-insync-replicas N   also set min.insync.replicas=N on every topic (default: the
                            brokers' min.insync.replicas)
  --command-config FILE     client properties for kafka-topics.sh (TLS, SASL)
  --topics FILE             topic file (default: \$CHAT_TOPICS or kafka/topics.json)
  --dry-run                 print the commands instead of running them

Tools: \$KAFKA_HOME/bin/kafka-topics.sh, else kafka-topics.sh (or kafka-topics) on PATH;
without them, \`chat topics --create\` from \$CHAT_BINARY, .build/release/chat,
.build/debug/chat or PATH. The chat binary cannot choose a replication factor (topics get
the brokers' default.replication.factor), so it is only used with --replication-factor 1.
EOF
}

die() {
    printf '%s: %s\n' "$me" "$*" >&2
    exit 1
}

bootstrap="${CHAT_KAFKA:-127.0.0.1:9092}"
replication=1
min_isr=""
command_config=""
topics_file="${CHAT_TOPICS:-$here/topics.json}"
dry_run=0

need_value() {
    [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"
}

while (($# > 0)); do
    case $1 in
        --bootstrap | --bootstrap-server) need_value "$@"; bootstrap=$2; shift 2 ;;
        --bootstrap=* | --bootstrap-server=*) bootstrap=${1#*=}; shift ;;
        --replication-factor) need_value "$@"; replication=$2; shift 2 ;;
        --replication-factor=*) replication=${1#*=}; shift ;;
        --min-insync-replicas) need_value "$@"; min_isr=$2; shift 2 ;;
        --min-insync-replicas=*) min_isr=${1#*=}; shift ;;
        --command-config) need_value "$@"; command_config=$2; shift 2 ;;
        --command-config=*) command_config=${1#*=}; shift ;;
        --topics) need_value "$@"; topics_file=$2; shift 2 ;;
        --topics=*) topics_file=${1#*=}; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) printf '%s: unknown argument: %s\n\n' "$me" "$1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ -n $bootstrap ]] || die "--bootstrap is empty"
[[ $replication =~ ^[1-9][0-9]*$ ]] || die "--replication-factor must be a positive integer, not '$replication'"
[[ -z $min_isr || $min_isr =~ ^[1-9][0-9]*$ ]] || die "--min-insync-replicas must be a positive integer, not '$min_isr'"
if [[ -n $min_isr ]] && ((min_isr > replication)); then
    die "--min-insync-replicas $min_isr is more than --replication-factor $replication: no write could succeed"
fi
[[ -z $command_config || -r $command_config ]] || die "cannot read --command-config $command_config"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read $topics_file"

# The topic file as lines of NAME<TAB>PARTITIONS<TAB>KEY=VALUE..., checked on the way.
read_topics_py=$(
    cat <<'PY'
import json, re, sys
path = sys.argv[1]
def fail(message):
    sys.exit(f"create-topics.sh: {path}: {message}")
try:
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
except (OSError, ValueError) as error:
    fail(f"cannot read it: {error}")
topics = document.get("topics") if isinstance(document, dict) else None
if not isinstance(topics, list) or not topics:
    fail('no "topics" list')
for topic in topics:
    name = topic.get("name") if isinstance(topic, dict) else None
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,249}", name):
        fail(f"bad topic name {name!r}")
    partitions = topic.get("partitions")
    if not isinstance(partitions, int) or isinstance(partitions, bool) or partitions < 1:
        fail(f"{name}: partitions must be a positive integer")
    configs = topic.get("configs", {})
    if not isinstance(configs, dict):
        fail(f"{name}: configs must be an object")
    fields = [name, str(partitions)]
    for key, value in sorted(configs.items()):
        if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9.]+", key) or re.search(r"[\s=]", value) or not value:
            fail(f"{name}: config {key!r} must be a string without spaces or '='")
        fields.append(f"{key}={value}")
    print("\t".join(fields))
PY
)

# Compares what the cluster reports (stdin) with the topic file. argv: topic file, format
# ("describe": kafka-topics.sh --describe output; "json": chat topics --json), replication.
check_py=$(
    cat <<'PY'
import json, re, sys
path, form, replication = sys.argv[1], sys.argv[2], int(sys.argv[3])
wanted = {t["name"]: t["partitions"] for t in json.load(open(path, encoding="utf-8"))["topics"]}
found = {}
for line in sys.stdin:
    if form == "json":
        line = line.strip()
        if line.startswith("{"):
            row = json.loads(line)
            found[row["topic"]] = (row["partitions"], None)
    else:
        match = re.match(r"Topic:\s*(\S+)\s.*?PartitionCount:\s*(\d+)\s+ReplicationFactor:\s*(\d+)", line)
        if match:
            found[match[1]] = (int(match[2]), int(match[3]))
problems = 0
for name, partitions in wanted.items():
    if name not in found:
        print(f"create-topics.sh: {name} is missing on the cluster", file=sys.stderr)
        problems += 1
        continue
    count, factor = found[name]
    if count != partitions:
        print(f"create-topics.sh: {name} has {count} partitions on the cluster but {partitions} in {path};"
              " the chat computes partitions from the file, so they must match", file=sys.stderr)
        problems += 1
    if factor is not None and factor != replication:
        print(f"create-topics.sh: warning: {name} has replication factor {factor}, not {replication}"
              " (it existed already; kafka-reassign-partitions.sh changes it)", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
)

topic_lines=$(python3 -c "$read_topics_py" "$topics_file")

# Prints a command so that it can be pasted into a shell.
show() {
    local arg words=()
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then
            words+=("$arg")
        else
            words+=("'${arg//\'/\'\\\'\'}'")
        fi
    done
    printf '%s\n' "${words[*]}"
}

# Runs a command, or only prints it with --dry-run.
run() {
    if ((dry_run)); then
        show "$@"
    else
        printf '+ %s\n' "$(show "$@")" >&2
        "$@"
    fi
}

find_kafka_topics() {
    local candidate
    if [[ -n ${KAFKA_HOME:-} && -x $KAFKA_HOME/bin/kafka-topics.sh ]]; then
        printf '%s\n' "$KAFKA_HOME/bin/kafka-topics.sh"
        return 0
    fi
    for candidate in kafka-topics.sh kafka-topics; do
        if command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# True when $1 is this project's chat binary (not, say, ppp's chat(8)).
is_chat() {
    local help
    [[ -x $1 && ! -d $1 ]] || return 1
    if command -v timeout >/dev/null 2>&1; then
        help=$(timeout 20 "$1" topics --help </dev/null 2>/dev/null) || return 1
    else
        help=$("$1" topics --help </dev/null 2>/dev/null) || return 1
    fi
    [[ $help == *--create* ]]
}

find_chat() {
    local candidate
    if [[ -n ${CHAT_BINARY:-} ]]; then
        printf '%s\n' "$CHAT_BINARY"
        return 0
    fi
    for candidate in "$repo/.build/release/chat" "$repo/.build/debug/chat" "$(command -v chat 2>/dev/null || true)"; do
        if [[ -n $candidate ]] && is_chat "$candidate"; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

mapfile -t topics <<<"$topic_lines"
names=()
for line in "${topics[@]}"; do
    names+=("${line%%$'\t'*}")
done

if kafka_topics=$(find_kafka_topics); then
    base=("$kafka_topics" --bootstrap-server "$bootstrap")
    if [[ -n $command_config ]]; then
        base+=(--command-config "$command_config")
    fi
    for line in "${topics[@]}"; do
        IFS=$'\t' read -r -a fields <<<"$line"
        create=("${base[@]}" --create --if-not-exists --topic "${fields[0]}"
            --partitions "${fields[1]}" --replication-factor "$replication")
        for config in "${fields[@]:2}"; do
            create+=(--config "$config")
        done
        if [[ -n $min_isr ]]; then
            create+=(--config "min.insync.replicas=$min_isr")
        fi
        run "${create[@]}"
    done

    # One describe for all of them: --topic takes a regular expression.
    pattern=$(printf '%s|' "${names[@]//./\\.}")
    describe=("${base[@]}" --describe --topic "${pattern%|}")
    if ((dry_run)); then
        show "${describe[@]}"
        exit 0
    fi
    printf '+ %s\n' "$(show "${describe[@]}")" >&2
    description=$("${describe[@]}")
    printf '%s\n' "$description"
    python3 -c "$check_py" "$topics_file" describe "$replication" <<<"$description"
    exit 0
fi

# No Kafka tools: the chat binary creates the missing topics and lists the cluster's.
if [[ $replication != 1 ]]; then
    die "kafka-topics.sh not found, and the chat binary cannot set a replication factor (its topics get the brokers' default.replication.factor); set KAFKA_HOME or put Kafka's bin/ on PATH"
fi
if [[ -n $min_isr || -n $command_config ]]; then
    die "--min-insync-replicas and --command-config need kafka-topics.sh; set KAFKA_HOME or put Kafka's bin/ on PATH"
fi
if [[ -n ${CHAT_BINARY:-} ]] && ! is_chat "$CHAT_BINARY"; then
    die "CHAT_BINARY=$CHAT_BINARY is not the chat binary (it has no 'topics --create')"
fi
if ! chat=$(find_chat); then
    ((dry_run)) || die "neither kafka-topics.sh (KAFKA_HOME, PATH) nor the chat binary (CHAT_BINARY, .build/*/chat, PATH) found"
    printf '%s: no kafka-topics.sh nor chat binary found; showing the chat command\n' "$me" >&2
    chat=chat
fi
run "$chat" topics --create --kafka "$bootstrap" --topics "$topics_file"
if ((dry_run == 0)); then
    "$chat" topics --json --kafka "$bootstrap" --topics "$topics_file" |
        python3 -c "$check_py" "$topics_file" json "$replication"
fi
