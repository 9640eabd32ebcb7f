package host

import (
	"os"
	"syscall"
)

// statIdentity returns what tells two versions of a file apart beyond size
// and mtime: device, inode and ctime (which, unlike mtime, cannot be set
// back by a user).
func statIdentity(fi os.FileInfo) (dev, ino uint64, ctime int64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino), st.Ctim.Nano()
	}
	return 0, 0, 0
}
