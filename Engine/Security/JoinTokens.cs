using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Engine.Security;

/// <summary>The outcome of checking a join token.</summary>
public enum JoinTokenStatus
{
    Valid,
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongRoom,
    WrongUser,
}

/// <summary>
/// Join tokens: <c>base64url(payload) "." base64url(HMAC-SHA256(secret, payload))</c>, where the
/// payload is the UTF-8 JSON <c>{"room":"...","user":"...","exp":unixSeconds}</c>. A game backend
/// that knows the secret mints them (in any language); Engine checks signature, expiry, room and user.
/// </summary>
public sealed class JoinTokens
{
    private readonly byte[] _key;
    private readonly TimeProvider _time;

    /// <param name="secret">The shared secret; at least 16 bytes of UTF-8.</param>
    /// <param name="time">The clock expiry is checked against.</param>
    public JoinTokens(string secret, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(secret);
        _key = Encoding.UTF8.GetBytes(secret);
        if (_key.Length < 16)
        {
            throw new ArgumentException("The join token secret must be at least 16 bytes; use a long random string.", nameof(secret));
        }

        _time = time ?? TimeProvider.System;
    }

    /// <summary>Mints a token for <paramref name="user"/> in <paramref name="room"/>, valid until <paramref name="expires"/>.</summary>
    public string Issue(string room, string user, DateTimeOffset expires)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(new Payload(room, user, expires.ToUnixTimeSeconds()), TokenJson.Default.Payload);
        byte[] mac = HMACSHA256.HashData(_key, payload);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(mac);
    }

    /// <summary>Checks <paramref name="token"/> for <paramref name="room"/> and <paramref name="user"/>.</summary>
    public JoinTokenStatus Validate(string? token, string room, string user)
    {
        if (string.IsNullOrEmpty(token))
        {
            return JoinTokenStatus.Missing;
        }

        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || token.Length > 4096)
        {
            return JoinTokenStatus.Malformed;
        }

        byte[] payload, mac;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            mac = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return JoinTokenStatus.Malformed;
        }

        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, payload), mac))
        {
            return JoinTokenStatus.BadSignature;
        }

        Payload? claims;
        try
        {
            claims = JsonSerializer.Deserialize(payload, TokenJson.Default.Payload);
        }
        catch (JsonException)
        {
            return JoinTokenStatus.Malformed;
        }

        if (claims is null)
        {
            return JoinTokenStatus.Malformed;
        }

        if (_time.GetUtcNow().ToUnixTimeSeconds() >= claims.Exp)
        {
            return JoinTokenStatus.Expired;
        }

        if (!string.Equals(claims.Room, room, StringComparison.Ordinal))
        {
            return JoinTokenStatus.WrongRoom;
        }

        return string.Equals(claims.User, user, StringComparison.Ordinal) ? JoinTokenStatus.Valid : JoinTokenStatus.WrongUser;
    }

    internal sealed record Payload(
        [property: JsonPropertyName("room")] string Room,
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("exp")] long Exp);
}

[JsonSerializable(typeof(JoinTokens.Payload))]
internal sealed partial class TokenJson : JsonSerializerContext;
