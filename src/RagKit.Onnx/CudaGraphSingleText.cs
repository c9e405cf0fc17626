using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace RagKit.Onnx;

/// <summary>
/// Embeds one short text through a second session on which ONNX Runtime records the model's kernels once as a CUDA
/// graph and then replays them with a single launch. A single question is small enough that launching some sixty
/// kernels one by one, on the host, costs more than running them: on a slower host that overhead alone broke the
/// 1 ms target. The graph has one shape, so the text is padded to <see cref="Tokens"/> (the attention mask keeps the
/// padding out of the result, as in any batch), and its inputs and output live at fixed device addresses, filled and
/// read with the CUDA runtime's copies. Not thread-safe: the generator runs one text at a time through it.
/// </summary>
internal sealed class CudaGraphSingleText : IDisposable
{
    /// <summary>The one sequence length the graph is recorded for; longer texts take the regular session.</summary>
    public const int Tokens = 64;

    private const long InputBytes = Tokens * sizeof(long);

    private readonly InferenceSession _session;
    private readonly OrtIoBinding? _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = [];
    private readonly int _deviceId;
    private readonly int _dimensions;
    private readonly long _padId;
    private readonly nint _device;
    private readonly nint _pinned;
    private readonly long _outputOffset;
    private bool _disposed;

    /// <param name="model">The model as the regular session runs it (pooling in the graph: output [1, dimensions]).</param>
    /// <param name="options">Session options with the CUDA provider and <c>enable_cuda_graph</c>; owned by the caller.</param>
    /// <param name="inputs">The session's input names, each with its role.</param>
    /// <param name="outputName">The pooled output.</param>
    /// <param name="dimensions">The embedding's dimensions.</param>
    /// <param name="padId">The padding token's id.</param>
    /// <param name="deviceId">The CUDA device.</param>
    public CudaGraphSingleText(byte[] model, SessionOptions options, IReadOnlyList<(string Name, MiniLmEmbeddingGenerator.InputKind Kind)> inputs,
        string outputName, int dimensions, long padId, int deviceId)
    {
        _deviceId = deviceId;
        _dimensions = dimensions;
        _padId = padId;
        _outputOffset = 3 * InputBytes;
        long bytes = _outputOffset + (dimensions * sizeof(float));

        CudaRuntime.SetDevice(deviceId);
        _session = new InferenceSession(model, options);
        try
        {
            _device = CudaRuntime.AllocateDevice(bytes);
            _pinned = CudaRuntime.AllocatePinned(bytes);
            unsafe
            {
                new Span<byte>((void*)_pinned, (int)bytes).Clear();
            }

            // Token types are all zero; they are copied with the other inputs on every call, in one copy.
            CudaRuntime.CopyToDevice(_device, _pinned, bytes);

            using var deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
            _binding = _session.CreateIoBinding();
            foreach ((string name, MiniLmEmbeddingGenerator.InputKind kind) in inputs)
            {
                long offset = kind switch
                {
                    MiniLmEmbeddingGenerator.InputKind.InputIds => 0,
                    MiniLmEmbeddingGenerator.InputKind.AttentionMask => InputBytes,
                    _ => 2 * InputBytes,
                };
                OrtValue value = OrtValue.CreateTensorValueWithData(deviceMemory, TensorElementType.Int64, [1, Tokens], _device + (nint)offset, InputBytes);
                _values.Add(value);
                _binding.BindInput(name, value);
            }

            OrtValue output = OrtValue.CreateTensorValueWithData(deviceMemory, TensorElementType.Float, [1, dimensions], _device + (nint)_outputOffset, dimensions * sizeof(float));
            _values.Add(output);
            _binding.BindOutput(outputName, output);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Embeds one tokenized text of at most <see cref="Tokens"/> ids.</summary>
    /// <returns>The pooled, normalized embedding.</returns>
    public float[] Run(ReadOnlySpan<int> ids)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ids.Length > Tokens)
        {
            throw new ArgumentOutOfRangeException(nameof(ids), ids.Length, $"At most {Tokens} tokens run through the CUDA graph.");
        }

        CudaRuntime.SetDevice(_deviceId);
        var vector = new float[_dimensions];
        unsafe
        {
            var inputIds = new Span<long>((void*)_pinned, Tokens);
            var mask = new Span<long>((void*)(_pinned + (nint)InputBytes), Tokens);
            for (int t = 0; t < ids.Length; t++)
            {
                inputIds[t] = ids[t];
            }

            inputIds[ids.Length..].Fill(_padId);
            mask[..ids.Length].Fill(1);
            mask[ids.Length..].Clear();

            CudaRuntime.CopyToDevice(_device, _pinned, 2 * InputBytes);
            _session.RunWithBinding(_runOptions, _binding!);
            CudaRuntime.CopyToHost(_pinned + (nint)_outputOffset, _device + (nint)_outputOffset, _dimensions * sizeof(float));
            new ReadOnlySpan<float>((void*)(_pinned + (nint)_outputOffset), _dimensions).CopyTo(vector);
        }

        return vector;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _binding?.Dispose();
        foreach (OrtValue value in _values)
        {
            value.Dispose();
        }

        _session.Dispose();
        _runOptions.Dispose();
        CudaRuntime.FreeDevice(_device);
        CudaRuntime.FreePinned(_pinned);
    }
}
