#ifndef MVM_UNIX_SOCKET_H
#define MVM_UNIX_SOCKET_H

/* A listening, non-blocking unix stream socket at path (an old file is replaced). */
int unix_socket_listen(const char *path);
/* Accept one client, non-blocking and close-on-exec. */
int unix_socket_accept(int listen_fd);

#endif
