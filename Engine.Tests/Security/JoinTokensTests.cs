using System.Buffers.Text;
using System.Text;
using Engine.Security;

namespace Engine.Tests.Security;

public class JoinTokensTests
{
    private const string Secret = "0123456789abcdef-secret";
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void Validate_FreshToken_Valid()
    {
        var tokens = new JoinTokens(Secret, _time);
        string token = tokens.Issue("room", "alice", _time.GetUtcNow().AddMinutes(1));

        Assert.Equal(JoinTokenStatus.Valid, tokens.Validate(token, "room", "alice"));
    }

    [Fact]
    public void Validate_AtExpiry_Expired()
    {
        var tokens = new JoinTokens(Secret, _time);
        string token = tokens.Issue("room", "alice", _time.GetUtcNow().AddSeconds(30));
        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(JoinTokenStatus.Expired, tokens.Validate(token, "room", "alice"));
    }

    [Fact]
    public void Validate_WrongRoomOrUser_Rejected()
    {
        var tokens = new JoinTokens(Secret, _time);
        string token = tokens.Issue("room", "alice", _time.GetUtcNow().AddMinutes(1));

        Assert.Equal(JoinTokenStatus.WrongRoom, tokens.Validate(token, "other", "alice"));
        Assert.Equal(JoinTokenStatus.WrongUser, tokens.Validate(token, "room", "bob"));
    }

    [Fact]
    public void Validate_TamperedPayload_BadSignature()
    {
        var tokens = new JoinTokens(Secret, _time);
        string token = tokens.Issue("room", "alice", _time.GetUtcNow().AddMinutes(1));
        string forgedPayload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes("{\"room\":\"room\",\"user\":\"mallory\",\"exp\":99999999999}"));
        string forged = forgedPayload + token[token.IndexOf('.', StringComparison.Ordinal)..];

        Assert.Equal(JoinTokenStatus.BadSignature, tokens.Validate(forged, "room", "mallory"));
        Assert.Equal(JoinTokenStatus.BadSignature, new JoinTokens("another-secret-value!", _time).Validate(token, "room", "alice"));
    }

    [Theory]
    [InlineData(null, JoinTokenStatus.Missing)]
    [InlineData("", JoinTokenStatus.Missing)]
    [InlineData("no-dot", JoinTokenStatus.Malformed)]
    [InlineData(".abc", JoinTokenStatus.Malformed)]
    [InlineData("!!!.???", JoinTokenStatus.Malformed)]
    public void Validate_Garbage_RejectedWithoutThrowing(string? token, JoinTokenStatus expected)
    {
        Assert.Equal(expected, new JoinTokens(Secret, _time).Validate(token, "room", "alice"));
    }

    [Fact]
    public void Constructor_ShortSecret_Throws()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new JoinTokens("short"));
        Assert.Contains("at least 16 bytes", ex.Message, StringComparison.Ordinal);
    }
}
