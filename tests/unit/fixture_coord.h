/*
 * A coordinator's state for the unit tests of the map code, with the
 * test config (base domain ts.example) loaded; nothing runs.
 */
#ifndef FIXTURE_COORD_H
#define FIXTURE_COORD_H

struct coord;

struct coord	*fixture_coord_new(void);
void		 fixture_coord_free(struct coord *);

#endif /* FIXTURE_COORD_H */
