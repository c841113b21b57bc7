/*
 * Private key files in headscale's text form, "privkey:" and 64 hex
 * digits, created mode 0600 on first start.  A key file that others can
 * read is refused.
 */
#ifndef KEYS_H
#define KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN			32
#define KEY_PRIV_PREFIX		"privkey:"
#define KEY_TEXT_LEN		(sizeof(KEY_PRIV_PREFIX) - 1 + 2 * KEY_LEN)
#define KEY_FILE_MAX		4096

int	keys_parse(const char *, size_t, uint8_t [KEY_LEN]);
int	keys_text_canon(const char *, const char *, char *, size_t, int *);
void	keys_format(const uint8_t [KEY_LEN], char *, size_t);
int	keys_load(const char *, uint8_t [KEY_LEN], char *, size_t);
int	keys_load_or_create(const char *, uint8_t [KEY_LEN], int *, char *,
	    size_t);

#endif /* KEYS_H */
