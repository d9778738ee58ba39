RP¢èRPF¢
²RtokenRP¢RRp_wòlayer.wR!P¢RRb_mòbn.running_meanÀR,P(¢RRc_lifted_tensor_0òlifted_tensor_0RLP2¢@â=Robj_attr¢0__torch__.torch.classes._TorchScriptTesting._FooòattrR
P
¢RRxRP
¢¢Rs0RP
¢òRf0RP
¢ÂRb0RP
¢
RRtarget¢PF¢²R	token_out¢ P¢	RRadd_1òbn.running_mean¢PP¢RRmulòlayer.w¢P<¢RRcopyòx¢P¢RRloss¢P(¢
RRgrad_wòlayer.w¢P2¢
RRgrad_tòtarget¢P
¢¢
Rsym_size¢P
¢âRo¢my.Obj