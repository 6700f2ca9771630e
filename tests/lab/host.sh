# tests/lab/host.sh: what every host test (tests/lab/h-*.sh, run outside
# the lab) starts with; sourced, bash.
#
#   host_setup NAME   sets top (the checkout, also the working folder),
#                     build ($CARNET_BUILD, default top/build) and tmp (a
#                     folder /tmp/carnet-h-NAME.XXXXXX removed on exit),
#                     and defines fail
host_setup() {
        top=$(cd "$(dirname "${BASH_SOURCE[1]}")/../.." && pwd)
        cd "$top"
        build=${CARNET_BUILD:-$top/build}
        tmp=$(mktemp -d "/tmp/carnet-h-$1.XXXXXX")
        # shellcheck disable=SC2064
        trap "rm -rf '$tmp'" EXIT
}

# fail TEXT: the test fails, saying why.
fail() { echo "FAIL: $*" >&2; exit 1; }
