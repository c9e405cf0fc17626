using LLama.Sampling;

namespace RagKit.LLamaSharp;

internal readonly record struct SamplingSettings(float Temperature, float TopP, int TopK, uint Seed)
{
    public ISamplingPipeline Create() => Temperature <= 0
        ? new GreedySamplingPipeline()
        : new DefaultSamplingPipeline { Temperature = Temperature, TopP = TopP, TopK = TopK, Seed = Seed };
}
