#!/bin/bash
# tests/layers.sh LAYER...: proves that every dependency points down.
#
# Each layer is a folder built into $BUILD/libcarnet-LAYER.a; the variable
# LAYER_USES (from the Makefile) names the layers it may use.  Two checks:
#  1. includes: a file of LAYER includes only its own folder's headers,
#     the headers of the layers it may use, and system headers;
#  2. links: the whole archive, linked into an empty program with only the
#     archives it may use and the system libraries ($LINK), leaves no symbol
#     undefined.  A call into a layer above (or beside) is a link error.
# Prints "layers: N passed, N failed".
set -u
: "${BUILD:?}" "${CC:=cc}" "${LINK:=}"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'int main(void) { return 0; }\n' >"$tmp/main.c"
"$CC" -c -o "$tmp/main.o" "$tmp/main.c" || exit 1

for layer in "$@"; do
        var="${layer}_USES"
        uses=${!var-}
        ok=1
        # 1. includes
        for f in "$layer"/*.[ch]; do
                [ -e "$f" ] || continue
                while IFS= read -r inc; do
                        case "$inc" in
                        */*) dir=${inc%%/*} ;;
                        *) [ -e "$layer/$inc" ] && continue
                           echo "layers: $f includes \"$inc\", which is not in $layer/"; ok=0; continue ;;
                        esac
                        allowed=0
                        for u in "$layer" $uses; do [ "$dir" = "$u" ] && allowed=1; done
                        if [ $allowed = 0 ]; then
                                echo "layers: $f includes \"$inc\": $layer may use only: ${uses:-nothing}"
                                ok=0
                        fi
                done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
        done
        # 2. links
        libs=()
        for u in $uses; do libs+=("$BUILD/libcarnet-$u.a"); done
        # shellcheck disable=SC2086
        if ! "$CC" -o "$tmp/link" "$tmp/main.o" -Wl,--whole-archive "$BUILD/libcarnet-$layer.a" \
                -Wl,--no-whole-archive "${libs[@]}" $LINK >"$tmp/log" 2>&1; then
                echo "layers: $layer does not link with only ${uses:-nothing} below it:"
                grep -o "undefined reference to [^ ]*" "$tmp/log" | sort -u | sed 's/^/  /'
                ok=0
        fi
        if [ $ok = 1 ]; then
                pass=$((pass + 1))
                echo "ok   $layer (uses: ${uses:-nothing})"
        else
                fail=$((fail + 1))
                echo "FAIL $layer"
        fi
done
echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
