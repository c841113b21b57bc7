# bash completion for coordctl(8), written by "coordctl completion bash".

_coordctl_next() {
	case "$1/$2" in
	/users|/user) REPLY="users" ;;
	users/create|users/c|users/new) REPLY="users create" ;;
	users/list|users/ls|users/show) REPLY="users list" ;;
	users/rename|users/mv) REPLY="users rename" ;;
	users/destroy|users/delete|users/del|users/rm) REPLY="users destroy" ;;
	/nodes|/node) REPLY="nodes" ;;
	nodes/list|nodes/ls|nodes/show) REPLY="nodes list" ;;
	nodes/list-routes|nodes/lsr|nodes/routes) REPLY="nodes list-routes" ;;
	nodes/register) REPLY="nodes register" ;;
	nodes/expire|nodes/logout|nodes/exp|nodes/e) REPLY="nodes expire" ;;
	nodes/rename) REPLY="nodes rename" ;;
	nodes/delete|nodes/del) REPLY="nodes delete" ;;
	nodes/move|nodes/mv) REPLY="nodes move" ;;
	nodes/tag|nodes/tags|nodes/t) REPLY="nodes tag" ;;
	nodes/approve-routes) REPLY="nodes approve-routes" ;;
	nodes/backfillips) REPLY="nodes backfillips" ;;
	/preauthkeys|/preauthkey|/authkey|/pre) REPLY="preauthkeys" ;;
	preauthkeys/list|preauthkeys/ls|preauthkeys/show) REPLY="preauthkeys list" ;;
	preauthkeys/create|preauthkeys/c|preauthkeys/new) REPLY="preauthkeys create" ;;
	preauthkeys/expire|preauthkeys/revoke|preauthkeys/exp|preauthkeys/e) REPLY="preauthkeys expire" ;;
	preauthkeys/delete|preauthkeys/del|preauthkeys/rm|preauthkeys/d) REPLY="preauthkeys delete" ;;
	/apikeys|/apikey|/api) REPLY="apikeys" ;;
	apikeys/list|apikeys/ls|apikeys/show) REPLY="apikeys list" ;;
	apikeys/create|apikeys/c|apikeys/new) REPLY="apikeys create" ;;
	apikeys/expire|apikeys/revoke|apikeys/exp|apikeys/e) REPLY="apikeys expire" ;;
	apikeys/delete|apikeys/remove|apikeys/del|apikeys/rm) REPLY="apikeys delete" ;;
	/auth) REPLY="auth" ;;
	auth/register) REPLY="auth register" ;;
	auth/approve) REPLY="auth approve" ;;
	auth/reject) REPLY="auth reject" ;;
	/policy) REPLY="policy" ;;
	policy/get|policy/show|policy/view|policy/fetch) REPLY="policy get" ;;
	policy/set|policy/put|policy/update) REPLY="policy set" ;;
	policy/check) REPLY="policy check" ;;
	/debug) REPLY="debug" ;;
	debug/create-node) REPLY="debug create-node" ;;
	/generate|/gen) REPLY="generate" ;;
	generate/private-key) REPLY="generate private-key" ;;
	/health) REPLY="health" ;;
	/configtest) REPLY="configtest" ;;
	/dump-config|/dumpConfig) REPLY="dump-config" ;;
	/version) REPLY="version" ;;
	/completion) REPLY="completion" ;;
	/help) REPLY="help" ;;
	*) REPLY= ;;
	esac
}

_coordctl_words() {
	case "$1" in
	""|help) REPLY="users nodes preauthkeys apikeys auth policy debug generate health configtest dump-config version completion help" ;;
	users) REPLY="create list rename destroy" ;;
	nodes) REPLY="list list-routes register expire rename delete move tag approve-routes backfillips" ;;
	preauthkeys) REPLY="list create expire delete" ;;
	apikeys) REPLY="list create expire delete" ;;
	auth) REPLY="register approve reject" ;;
	policy) REPLY="get set check" ;;
	debug) REPLY="create-node" ;;
	generate) REPLY="private-key" ;;
	completion) REPLY="bash zsh" ;;
	*) REPLY= ;;
	esac
}

_coordctl_flags() {
	case "$1" in
	"users create") REPLY=" --display-name -d --email -e --picture-url -p " ;;
	"users list") REPLY=" --identifier -i --name -n --email -e " ;;
	"users rename") REPLY=" --identifier -i --name -n --new-name -r " ;;
	"users destroy") REPLY=" --identifier -i --name -n " ;;
	"nodes list") REPLY=" --user -u --tags -t " ;;
	"nodes list-routes") REPLY=" --identifier -i " ;;
	"nodes register") REPLY=" --user -u --key -k " ;;
	"nodes expire") REPLY=" --identifier -i --expiry -e --disable -d " ;;
	"nodes rename") REPLY=" --identifier -i " ;;
	"nodes delete") REPLY=" --identifier -i " ;;
	"nodes move") REPLY=" --identifier -i --user -u " ;;
	"nodes tag") REPLY=" --identifier -i --tags -t " ;;
	"nodes approve-routes") REPLY=" --identifier -i --routes -r " ;;
	"nodes backfillips") REPLY=" " ;;
	"preauthkeys list") REPLY=" --user -u " ;;
	"preauthkeys create") REPLY=" --user -u --reusable --ephemeral --expiration -e --tags " ;;
	"preauthkeys expire") REPLY=" --id -i " ;;
	"preauthkeys delete") REPLY=" --id -i " ;;
	"apikeys list") REPLY=" " ;;
	"apikeys create") REPLY=" --expiration -e " ;;
	"apikeys expire") REPLY=" --prefix -p --id -i " ;;
	"apikeys delete") REPLY=" --prefix -p --id -i " ;;
	"auth register") REPLY=" --auth-id --user -u " ;;
	"auth approve") REPLY=" --auth-id " ;;
	"auth reject") REPLY=" --auth-id " ;;
	"policy get") REPLY=" " ;;
	"policy set") REPLY=" --file -f --bypass-grpc-and-access-database-directly " ;;
	"policy check") REPLY=" --file -f --bypass-grpc-and-access-database-directly " ;;
	"debug create-node") REPLY=" --name --user -u --key -k --route -r " ;;
	"generate private-key") REPLY=" " ;;
	"health") REPLY=" " ;;
	"configtest") REPLY=" " ;;
	"dump-config") REPLY=" " ;;
	"version") REPLY=" " ;;
	"completion") REPLY=" " ;;
	"help") REPLY=" " ;;
	*) REPLY=" " ;;
	esac
}

_coordctl_valued() {
	case "$1" in
	"users create") REPLY=" --display-name -d --email -e --picture-url -p " ;;
	"users list") REPLY=" --identifier -i --name -n --email -e " ;;
	"users rename") REPLY=" --identifier -i --name -n --new-name -r " ;;
	"users destroy") REPLY=" --identifier -i --name -n " ;;
	"nodes list") REPLY=" --user -u " ;;
	"nodes list-routes") REPLY=" --identifier -i " ;;
	"nodes register") REPLY=" --user -u --key -k " ;;
	"nodes expire") REPLY=" --identifier -i --expiry -e " ;;
	"nodes rename") REPLY=" --identifier -i " ;;
	"nodes delete") REPLY=" --identifier -i " ;;
	"nodes move") REPLY=" --identifier -i --user -u " ;;
	"nodes tag") REPLY=" --identifier -i --tags -t " ;;
	"nodes approve-routes") REPLY=" --identifier -i --routes -r " ;;
	"nodes backfillips") REPLY=" " ;;
	"preauthkeys list") REPLY=" --user -u " ;;
	"preauthkeys create") REPLY=" --user -u --expiration -e --tags " ;;
	"preauthkeys expire") REPLY=" --id -i " ;;
	"preauthkeys delete") REPLY=" --id -i " ;;
	"apikeys list") REPLY=" " ;;
	"apikeys create") REPLY=" --expiration -e " ;;
	"apikeys expire") REPLY=" --prefix -p --id -i " ;;
	"apikeys delete") REPLY=" --prefix -p --id -i " ;;
	"auth register") REPLY=" --auth-id --user -u " ;;
	"auth approve") REPLY=" --auth-id " ;;
	"auth reject") REPLY=" --auth-id " ;;
	"policy get") REPLY=" " ;;
	"policy set") REPLY=" --file -f " ;;
	"policy check") REPLY=" --file -f " ;;
	"debug create-node") REPLY=" --name --user -u --key -k --route -r " ;;
	"generate private-key") REPLY=" " ;;
	"health") REPLY=" " ;;
	"configtest") REPLY=" " ;;
	"dump-config") REPLY=" " ;;
	"version") REPLY=" " ;;
	"completion") REPLY=" " ;;
	"help") REPLY=" " ;;
	*) REPLY=" " ;;
	esac
}

_coordctl_global=" --config -c --output -o --socket -s --force --help -h"
_coordctl_global_valued=" --config -c --output -o --socket -s "

_coordctl() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=
	((COMP_CWORD > 1)) && prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmdpath= w i skip=0
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((skip)); then skip=0; continue; fi
		_coordctl_valued "$cmdpath"
		case "$_coordctl_global_valued$REPLY" in
		*" $w "*) skip=1; continue ;;
		esac
		case $w in -*) continue ;; esac
		_coordctl_next "$cmdpath" "$w"
		[ -n "$REPLY" ] && cmdpath=$REPLY
	done
	COMPREPLY=()
	case $prev in
	-o|--output)
		COMPREPLY=($(compgen -W "table json json-line yaml" -- "$cur"))
		return ;;
	-c|--config|-f|--file|-s|--socket)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	_coordctl_valued "$cmdpath"
	case $prev in -*)
		case "$_coordctl_global_valued$REPLY" in
		*" $prev "*) return ;;
		esac
	esac
	if [[ $cur == -* ]]; then
		_coordctl_flags "$cmdpath"
		COMPREPLY=($(compgen -W "$REPLY $_coordctl_global" -- "$cur"))
		return
	fi
	_coordctl_words "$cmdpath"
	COMPREPLY=($(compgen -W "$REPLY" -- "$cur"))
}

complete -F _coordctl coordctl
