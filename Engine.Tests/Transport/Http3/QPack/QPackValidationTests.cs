using System.Text;
using Engine.Transport.Http3.QPack;

namespace Engine.Tests.Transport.Http3.QPack;

public class QPackValidationTests
{
    [Theory]
    [InlineData(":method", true)]
    [InlineData("content-type", true)]
    [InlineData("x-custom_1!#$%&'*+.^`|~", true)]
    [InlineData("Content-Type", false)]
    [InlineData("", false)]
    [InlineData(":", false)]
    [InlineData("::path", false)]
    [InlineData("bad name", false)]
    [InlineData("a:b", false)]
    public void IsValidFieldName_Name_MatchesLowercaseTokenRule(string name, bool expected) =>
        Assert.Equal(expected, QPackValidation.IsValidFieldName(Encoding.Latin1.GetBytes(name)));

    [Theory]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("", true)]
    [InlineData("a\r\nb", false)]
    [InlineData("a\0b", false)]
    public void IsValidFieldValue_Value_RejectsNulCrLf(string value, bool expected) =>
        Assert.Equal(expected, QPackValidation.IsValidFieldValue(Encoding.Latin1.GetBytes(value)));
}
