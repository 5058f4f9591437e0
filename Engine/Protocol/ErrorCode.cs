namespace Engine.Protocol;

/// <summary>Codes carried by <see cref="ErrorMessage"/>.</summary>
public enum ErrorCode : ushort
{
    /// <summary>The message is not valid in this state (e.g. chat before join, a second hello).</summary>
    InvalidState = 1,

    /// <summary>The protocol version in hello is not supported.</summary>
    UnsupportedVersion = 2,

    /// <summary>Join token missing, invalid, expired, or for another room or user.</summary>
    Unauthorized = 3,

    /// <summary>The room is at capacity.</summary>
    RoomFull = 4,

    /// <summary>The server is at its room limit.</summary>
    TooManyRooms = 5,

    /// <summary>A field is out of bounds (room name, player name, chat length).</summary>
    InvalidArgument = 6,

    /// <summary>Too many messages of this kind; excess was dropped.</summary>
    RateLimited = 7,

    /// <summary>The resume token is unknown or expired; a fresh session was opened.</summary>
    ResumeFailed = 8,

    /// <summary>The cluster could not be reached to find or claim the room's instance; try again.</summary>
    Unavailable = 9,
}
