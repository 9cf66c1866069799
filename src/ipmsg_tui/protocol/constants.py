"""IPMSG command codes and option bits.

Values are those of the reference implementation (shirouzu/ipmsg ``src/ipmsg.h``, v4.99r3)
as tabulated in the project's protocol notes. Several option bits share a position and mean
different things depending on the command (e.g. 0x100 is ABSENCEOPT on entry packets and
SENDCHECKOPT on SENDMSG), so they live in separate flag classes.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

DEFAULT_PORT = 2425
PROTOCOL_VERSION = 1

MODE_MASK = 0x000000FF
OPTION_MASK = 0xFFFFFF00

# Receive up to 64 KiB; iptux truncates at 8 KiB and Windows at 32 KiB, so outgoing
# datagrams are kept under those limits per peer.
MAX_DATAGRAM = 64 * 1024
MAX_DATAGRAM_IPTUX = 8 * 1024
MAX_DATAGRAM_DEFAULT = 32 * 1024
# Windows keeps user/host/nick/group in 80-byte buffers.
MAX_NAME_BYTES = 79

FILELIST_SEPARATOR = "\a"


class Command(IntEnum):
    """The command mode: the low 8 bits of the command field."""

    NOOPERATION = 0x00
    BR_ENTRY = 0x01
    BR_EXIT = 0x02
    ANSENTRY = 0x03
    BR_ABSENCE = 0x04
    BR_ISGETLIST = 0x10
    OKGETLIST = 0x11
    GETLIST = 0x12
    ANSLIST = 0x13
    ANSLIST_DICT = 0x14
    BR_ISGETLIST2 = 0x18
    SENDMSG = 0x20
    RECVMSG = 0x21
    READMSG = 0x30
    DELMSG = 0x31
    ANSREADMSG = 0x32
    GETINFO = 0x40
    SENDINFO = 0x41
    GETABSENCEINFO = 0x50
    SENDABSENCEINFO = 0x51
    GETFILEDATA = 0x60
    RELEASEFILES = 0x61
    GETDIRFILES = 0x62
    DIRFILES_AUTH = 0x63
    DIRFILES_AUTHRET = 0x64
    GETPUBKEY = 0x72
    ANSPUBKEY = 0x73
    AGENT_REQ = 0xA0
    AGENT_ANSREQ = 0xA1
    AGENT_PACKET = 0xA2
    AGENT_PROXYREQ = 0xA3
    DIR_POLL = 0xB0
    DIR_POLLAGENT = 0xB1
    DIR_BROADCAST = 0xB2
    DIR_ANSBROAD = 0xB3
    DIR_PACKET = 0xB4
    DIR_REQUEST = 0xB5
    DIR_AGENTPACKET = 0xB6
    DIR_EVBROAD = 0xB7
    DIR_AGENTREJECT = 0xB8


class EntryOpt(IntFlag):
    """Options valid for every command, mostly status bits of entry packets."""

    ABSENCEOPT = 0x00000100
    SERVEROPT = 0x00000200
    CAPFILEENC_OBSLT = 0x00001000
    DIALUPOPT = 0x00010000
    CAPFILEENCOPT = 0x00040000
    FILEATTACHOPT = 0x00200000
    ENCRYPTOPT = 0x00400000
    UTF8OPT = 0x00800000
    CAPUTF8OPT = 0x01000000
    CAPIPDICTOPT = 0x02000000
    ENCEXTMSGOPT = 0x04000000
    CLIPBOARDOPT = 0x08000000
    DIR_MASTER = 0x10000000


class SendOpt(IntFlag):
    """Options of SENDMSG, READMSG and friends (same bit positions as some EntryOpt)."""

    SENDCHECKOPT = 0x00000100
    SECRETOPT = 0x00000200
    BROADCASTOPT = 0x00000400
    MULTICASTOPT = 0x00000800
    AUTORETOPT = 0x00002000
    RETRYOPT = 0x00004000
    PASSWORDOPT = 0x00008000
    NOLOGOPT = 0x00020000
    NEWMULTI_OBSLT = 0x00040000
    NOADDLISTOPT = 0x00080000
    READCHECKOPT = 0x00100000
    FILEATTACHOPT = 0x00200000
    ENCRYPTOPT = 0x00400000
    UTF8OPT = 0x00800000


SECRETEXOPT = SendOpt.SECRETOPT | SendOpt.READCHECKOPT
# Never answer or auto-reply to these (ping-pong guard).
NO_REPLY_OPTS = SendOpt.BROADCASTOPT | SendOpt.AUTORETOPT


class FileType(IntEnum):
    """The low 8 bits of an attachment's attribute field."""

    REGULAR = 0x01
    DIR = 0x02
    RETPARENT = 0x03
    SYMLINK = 0x04
    CDEV = 0x05
    BDEV = 0x06
    FIFO = 0x07
    RESFORK = 0x10
    CLIPBOARD = 0x20


FILE_TYPE_MASK = 0x000000FF


class FileAttrOpt(IntFlag):
    """The high 24 bits of an attachment's attribute field."""

    RONLYOPT = 0x00000100
    HIDDENOPT = 0x00001000
    EXHIDDENOPT = 0x00002000
    ARCHIVEOPT = 0x00004000
    SYSTEMOPT = 0x00008000


class FileExtAttr(IntEnum):
    """Keys of the ``key=value`` extended attributes (both hex on the wire)."""

    UID = 0x01
    USERNAME = 0x02
    GID = 0x03
    GROUPNAME = 0x04
    CLIPBOARDPOS = 0x08
    PERM = 0x10
    MAJORNO = 0x11
    MINORNO = 0x12
    CTIME = 0x13
    MTIME = 0x14
    ATIME = 0x15
    CREATETIME = 0x16
    CREATOR = 0x20
    FILETYPE = 0x21
    FINDERINFO = 0x22
    ACL = 0x30
    ALIASFNAME = 0x40
    UNICODEFNAME = 0x41


def get_mode(command: int) -> int:
    """The command mode (``cmd & 0xff``)."""
    return command & MODE_MASK


def get_options(command: int) -> int:
    """The option bits (``cmd & 0xffffff00``)."""
    return command & OPTION_MASK
