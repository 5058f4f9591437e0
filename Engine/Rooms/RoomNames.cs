namespace Engine.Rooms;

/// <summary>The one rule for room names, shared by joins and the SSE endpoint.</summary>
public static class RoomNames
{
    /// <summary>Longest room name.</summary>
    public const int MaxLength = 64;

    /// <summary>What a valid name looks like, for error messages.</summary>
    public const string Rule = "Room names are 1–64 characters of letters, digits, '-' and '_'.";

    /// <summary>1–64 ASCII letters, digits, '-' or '_'.</summary>
    public static bool IsValid(string name) =>
        name.Length is > 0 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
