// A TorchScript custom class (torchbind) with what torch.export needs (__obj_flatten__) and
// pickling, so scripts/scan-check.sh can have torch write its own custom-object archives.
#include <torch/custom_class.h>
#include <torch/library.h>
#include <ATen/ATen.h>

struct Scale : torch::CustomClassHolder {
  double factor;
  explicit Scale(double f) : factor(f) {}
};

TORCH_LIBRARY(graphsig_tb, m) {
  m.class_<Scale>("Scale")
      .def(torch::init<double>())
      .def("__obj_flatten__",
           [](const c10::intrusive_ptr<Scale>& self) {
             return std::make_tuple(std::make_tuple(std::string("factor"), self->factor));
           })
      .def_pickle([](const c10::intrusive_ptr<Scale>& self) -> double { return self->factor; },
                  [](double f) { return c10::make_intrusive<Scale>(f); });
  m.def("scale(__torch__.torch.classes.graphsig_tb.Scale obj, Tensor x) -> Tensor");
}

TORCH_LIBRARY_IMPL(graphsig_tb, CPU, m) {
  m.impl("scale", [](const c10::intrusive_ptr<Scale>& obj, const at::Tensor& x) { return x * obj->factor; });
}
