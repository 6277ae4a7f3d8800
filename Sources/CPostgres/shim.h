#ifndef CDCD_CPOSTGRES_SHIM_H
#define CDCD_CPOSTGRES_SHIM_H
#include <libpq-fe.h>
#endif
