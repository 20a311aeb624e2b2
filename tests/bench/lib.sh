# tests/bench/lib.sh — what tests/bench/run and tests/bench/ab both compute
# from result lines; sourced by both, so that the two report issue 15's
# ratio (lock-step p50 over the memcpy floor) the same way.

# kv LINE KEY: the value of KEY=... in a result line (empty when absent).
kv() {
	local word
	for word in $1; do
		case $word in "$2="*) echo "${word#*=}"; return ;; esac
	done
}

# num V: whether V is a number.
num() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]; }

# median V...: the median of the numeric arguments (nothing for none).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# floor_ratio P50 FLOOR: one round's lock-step p50 over that round's memcpy
# floor; nothing when either is not a number or the floor is not positive.
# On a shared machine the ratio within a round is steadier than absolute
# times, so the reported figure is the median of these per-round ratios.
floor_ratio() {
	num "$1" && num "$2" || return 0
	awk -v p="$1" -v m="$2" 'BEGIN { if (m > 0) print p / m }'
}
