namespace Engine.State.Serialization;

/// <summary>Bytes that were meant to hold an Engine.State value could not be decoded into a valid one.</summary>
public sealed class StateDecodeException : Exception
{
    public StateDecodeException(Type targetType, int length, string reason, Exception? innerException = null)
        : base($"Cannot decode {Describe(targetType)} from {length} bytes: {reason}.", innerException)
    {
        TargetType = targetType;
    }

    public StateDecodeException()
    {
    }

    public StateDecodeException(string message)
        : base(message)
    {
    }

    public StateDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The type the caller asked for.</summary>
    public Type? TargetType { get; }

    private static string Describe(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!type.IsGenericType)
        {
            return type.Name;
        }

        string name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(Describe))}>";
    }
}
