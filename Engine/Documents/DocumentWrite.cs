namespace Engine.Documents;

/// <summary>What a player asks to do to the room document.</summary>
public enum DocumentWriteKind
{
    /// <summary>Set <see cref="DocumentWrite.Key"/> to <see cref="DocumentWrite.Value"/>.</summary>
    Set,

    /// <summary>Remove <see cref="DocumentWrite.Key"/>.</summary>
    Remove,

    /// <summary>Add <see cref="DocumentWrite.Amount"/> to the counter named <see cref="DocumentWrite.Key"/>.</summary>
    Increment,
}

/// <summary>A player's write to the room document, as the room's <c>AuthorizeDocumentWrite</c> hook sees it.</summary>
/// <param name="Kind">Set, remove or increment.</param>
/// <param name="Key">The key, or the counter's name.</param>
/// <param name="Value">The new value (<see cref="DocumentWriteKind.Set"/> only).</param>
/// <param name="Amount">The increment, negative to subtract (<see cref="DocumentWriteKind.Increment"/> only).</param>
public readonly record struct DocumentWrite(DocumentWriteKind Kind, string Key, string? Value, long Amount)
{
    /// <summary>The error message when the room's rule refuses this write.</summary>
    public string RefusedMessage => $"The room does not let you {Kind.ToString().ToLowerInvariant()} '{Key}'.";
}
