# Build one program.  Set PROG, SRCS (the first one holds main()),
# optionally LDADD, then include.  Every source but the first also goes
# into lib$(PROG).a, so that unit tests can link the program's modules.
include $(dir $(lastword $(MAKEFILE_LIST)))flags.mk

OBJDIR=		$(OBJROOT)/$(PROG)
OBJS=		$(SRCS:%.c=$(OBJDIR)/%.o)
MAINOBJ=	$(firstword $(OBJS))
MODOBJS=	$(filter-out $(MAINOBJ),$(OBJS))
DEPS=		$(OBJS:.o=.d)
PROGFILE=	$(BINDIR)/$(PROG)
MODLIB=		$(LIBDIR)/lib$(PROG).a
COMMONLIBS=	$(LIBDIR)/libcommon.a $(LIBDIR)/libproto.a

all: $(PROGFILE) $(MODLIB)

$(PROGFILE): $(OBJS) $(COMMONLIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(COMMONLIBS) $(LDADD) $(PKG_LIBS)

$(MODLIB): $(MODOBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(MODOBJS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

clean:
	rm -rf $(OBJDIR) $(PROGFILE) $(MODLIB)

.PHONY: all clean
-include $(DEPS)
