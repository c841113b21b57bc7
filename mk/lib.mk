# Build one static library from SRCS.  Set LIB and SRCS, then include.
include $(dir $(lastword $(MAKEFILE_LIST)))flags.mk

OBJDIR=		$(OBJROOT)/$(LIB)
OBJS=		$(SRCS:%.c=$(OBJDIR)/%.o)
DEPS=		$(OBJS:.o=.d)
LIBFILE=	$(LIBDIR)/lib$(LIB).a

all: $(LIBFILE)

$(LIBFILE): $(OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(OBJS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

clean:
	rm -rf $(OBJDIR) $(LIBFILE)

.PHONY: all clean
-include $(DEPS)
