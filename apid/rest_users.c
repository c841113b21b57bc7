/*
 * /api/v1/user: ListUsers, CreateUser, DeleteUser, RenameUser.  Every
 * argument is checked here before stored is asked, and stored checks
 * again; a refused request writes nothing.
 */
#include <sys/types.h>

#include <stdint.h>
#include <string.h>

#include "apid.h"
#include "rest.h"

#include "store.pb-c.h"

void
rest_user_list(struct rest_req *r)
{
	Coordd__UserQuery	 q = COORDD__USER_QUERY__INIT;
	char			 id[32], name[256], email[256];
	int			 rv;

	if ((rv = rest_query(r, "id", id, sizeof(id))) == -1 ||
	    (rv == 1 && id[0] != '\0' && strcmp(id, "0") != 0 &&
	    rest_parse_id(id, &q.id) == -1))
		return (rest_error(r, 400, "invalid id"));
	if ((rv = rest_query(r, "name", name, sizeof(name))) == -1)
		return (rest_error(r, 400, "invalid name"));
	q.name = rv == 1 ? name : "";
	if ((rv = rest_query(r, "email", email, sizeof(email))) == -1)
		return (rest_error(r, 400, "invalid email"));
	q.email = rv == 1 ? email : "";
	rest_store(r, IMSG_STORE_USER_LIST, &q.base, "users",
	    rest_reply_list);
}

void
rest_user_create(struct rest_req *r)
{
	Coordd__UserCreate	 m = COORDD__USER_CREATE__INIT;
	const char		*name, *dn, *email, *pic;

	if (rest_str(r, "name", NULL, &name) == -1 ||
	    rest_str(r, "displayName", "display_name", &dn) == -1 ||
	    rest_str(r, "email", NULL, &email) == -1 ||
	    rest_str(r, "pictureUrl", "picture_url", &pic) == -1)
		return;
	if (name == NULL || name[0] == '\0')
		return (rest_error(r, 400, "name is required"));
	m.name = (char *)name;
	m.display_name = (char *)(dn != NULL ? dn : "");
	m.email = (char *)(email != NULL ? email : "");
	m.picture_url = (char *)(pic != NULL ? pic : "");
	rest_store(r, IMSG_STORE_USER_CREATE, &m.base, "user",
	    rest_reply_one);
}

void
rest_user_delete(struct rest_req *r)
{
	Coordd__UserQuery	q = COORDD__USER_QUERY__INIT;

	if (rest_seg_id(r, 1, &q.id) == -1)
		return;
	rest_store(r, IMSG_STORE_USER_DELETE, &q.base, NULL,
	    rest_reply_empty);
}

void
rest_user_rename(struct rest_req *r)
{
	Coordd__UserRename	m = COORDD__USER_RENAME__INIT;

	if (rest_seg_id(r, 1, &m.id) == -1 ||
	    rest_seg(r, 3, r->name, sizeof(r->name)) == -1)
		return;
	if (r->name[0] == '\0')
		return (rest_error(r, 400, "the new name is empty"));
	m.old_name = "";
	m.new_name = r->name;
	rest_store(r, IMSG_STORE_USER_RENAME, &m.base, "user",
	    rest_reply_one);
}
