using Microsoft.Extensions.AI;

namespace RagKit.LLamaSharp.Tests;

[Collection(TinyModelCollection.Name)]
public sealed class SmokeTests(TinyModelFixture model)
{
    [Fact]
    public async Task Generates_text_and_marks_token_limit()
    {
        using var client = new LLamaSharpChatClient(model.Options());
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "You answer."), new ChatMessage(ChatRole.User, "Hi")]);
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
    }
}
