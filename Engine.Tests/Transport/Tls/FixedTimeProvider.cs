namespace Engine.Tests.Transport.Tls;

/// <summary>A clock stuck at one instant, for certificate validity checks.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
